package dev.sonde.probes.load;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;
import dev.sonde.maps.StructOpsMap;
import dev.sonde.probes.config.MapDecl;
import dev.sonde.probes.structops.RatioSampler;
import dev.sonde.probes.structops.SamplingOps;
import dev.sonde.probes.structops.SamplingPolicy;

/**
 * A probe file's STRUCT_OPS map, checked when the file loads and registered only once the programs it replaces are
 * gone: a subsystem holds one registration at a time (the kernel's EBUSY), so the old file's policy must be
 * unregistered before the new one can be. Between the two the subsystem runs its default.
 */
final class PolicyDecl {
    /** The policies a probe file can name; each is built on a {@code structops} class. */
    static final String RATIO = "ratio";

    final String name;
    final RatioSampler sampler;
    final double ratio;

    private PolicyDecl(String name, double ratio) {
        this.name = name;
        this.ratio = ratio;
        this.sampler = new RatioSampler(ratio); // refuses a ratio outside [0, 1] with EINVAL
    }

    /** The verifier's checks on a {@code type: struct_ops} declaration. */
    static PolicyDecl of(MapDecl d) {
        if (d.policy == null) {
            throw new SondeException(Errno.EINVAL, "struct_ops map '" + d.name + "' needs policy: (the one there is: "
                    + RATIO + ", a sampling_ops recording a share of spans); add policy: ratio, ratio: 0.5");
        }
        if (!RATIO.equals(d.policy)) {
            throw new SondeException(Errno.EINVAL, "policy '" + d.policy + "' is unknown; valid policies: " + RATIO
                    + " (write policy: ratio, ratio: 0.5)");
        }
        if (d.ratio == null) {
            throw new SondeException(Errno.EINVAL, "policy ratio needs ratio: (the share of spans to record, 0 to 1); "
                    + "add ratio: 0.5");
        }
        if (d.keySize != 0 || d.valueSize != 0 || d.maxEntries != 0 || d.numShards != 0 || d.subbufSize != 0
                || d.nSubbufs != 0 || d.overwrite || d.privateShards) {
            throw new SondeException(Errno.EINVAL, "struct_ops map '" + d.name + "' takes its sizes from its subsystem; "
                    + "remove keySize, valueSize, maxEntries and the other size fields");
        }
        if (d.pinning == MapDecl.Pinning.BY_NAME) {
            throw new SondeException(Errno.EINVAL, "struct_ops map '" + d.name + "' cannot be pinned: its callbacks live "
                    + "in this JVM and go with it; remove pinning:");
        }
        return new PolicyDecl(d.name, d.ratio);
    }

    /** For a map that is not STRUCT_OPS: the policy fields are a mistake, not something to ignore. */
    static void refuseFields(MapDecl d) {
        if (d.policy != null || d.ratio != null) {
            throw new SondeException(Errno.EINVAL, "policy: and ratio: are for type: struct_ops maps, and map '" + d.name
                    + "' is a " + d.type.type.bpftoolName() + "; remove them");
        }
    }

    /**
     * Creates the map, fills {@code should_sample} with the sampler as program {@code progId} and registers it
     * (update key 0: INIT to INUSE). On a refusal the map is freed and the errno thrown.
     */
    StructOpsMap register(MapSource source, int progId) {
        StructOpsMap m = (StructOpsMap) source.create(SamplingPolicy.mapSpec(name).build());
        try {
            m.setCallback(SamplingOps.SHOULD_SAMPLE, sampler, progId);
            int rc = m.attach();
            if (rc != 0) {
                throw new SondeException(-rc, "struct_ops map '" + name + "' was not registered: " + Errno.name(-rc)
                        + (rc == -Errno.EBUSY ? " (another sampling_ops policy is registered in this JVM; delete it first)"
                                : ""));
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }
}
