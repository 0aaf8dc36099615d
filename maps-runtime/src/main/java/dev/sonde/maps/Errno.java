package dev.sonde.maps;

/**
 * Linux errno numbers, as the kernel's map code returns them. Data-plane calls return {@code 0} or
 * {@code -Errno.X}; {@link SondeException#errno()} carries the positive number.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int E2BIG = 7;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    /** The verifier's answer to a program that writes an F_RDONLY_PROG map (or reads an F_WRONLY_PROG one). */
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    /** What updating a detached struct_ops link returns. */
    public static final int ENOLINK = 67;
    public static final int EOPNOTSUPP = 95;
    /** What deleting a struct_ops map that is already being unregistered returns. */
    public static final int EINPROGRESS = 115;
    /** Kernel-internal "not supported" (not EOPNOTSUPP): what key/value calls on a ringbuf return. */
    public static final int ENOTSUPP = 524;

    private Errno() {
    }

    /** The symbolic name of an errno, positive or negative: {@code name(-2)} is {@code "ENOENT"}. */
    public static String name(int errno) {
        switch (Math.abs(errno)) {
            case 0: return "OK";
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case E2BIG: return "E2BIG";
            case EBADF: return "EBADF";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EFAULT: return "EFAULT";
            case EBUSY: return "EBUSY";
            case EEXIST: return "EEXIST";
            case EINVAL: return "EINVAL";
            case ENOSPC: return "ENOSPC";
            case ENOLINK: return "ENOLINK";
            case EOPNOTSUPP: return "EOPNOTSUPP";
            case EINPROGRESS: return "EINPROGRESS";
            case ENOTSUPP: return "ENOTSUPP";
            default: return "E" + Math.abs(errno);
        }
    }
}
