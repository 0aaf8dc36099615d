package dev.sonde.maps;

/**
 * Control-plane misuse: a bad spec, a key of the wrong size, a file that is not a Sonde map. The message
 * names the problem and the fix; {@link #errno()} is the positive Linux errno the kernel would have given.
 */
public final class SondeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public SondeException(int errno, String message) {
        super(message);
        this.errno = Math.abs(errno);
    }

    public SondeException(int errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = Math.abs(errno);
    }

    /** The positive errno, for example {@link Errno#EINVAL}. */
    public int errno() {
        return errno;
    }
}
