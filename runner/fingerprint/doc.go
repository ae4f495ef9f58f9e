// Package fingerprint computes the fingerprint of a build target: one
// digest of everything that decides the content of the image the target
// builds, and of nothing else. orch writes it at every destination when it
// exports an image and skips a target whose destinations all hold the
// image of its current fingerprint (see runner/build).
//
// What goes in, each as one named component whose digest is kept, so
// that `orch plan` can say what changed:
//
//   - the target's definition as it reaches the solve: the frontend
//     attributes the BuildKit adapter translates it to (build args as
//     "arg NAME", labels as "label NAME", target stage, platforms,
//     attestations, network, no-cache-filter, ulimits, shm-size, extra
//     hosts, annotations, resources: the cgroup limits of RUN steps), its
//     entitlements, its source policy and the ids of its secrets and ssh
//     sockets, never their values. Tags, outputs, cache import and
//     export and the progress mode are not inputs: they change where an
//     image goes, not what it is. Every value is hashed as canonical JSON
//     (sorted keys), so map order does not matter, and no absolute path is
//     hashed, so neither does the working directory or where the project
//     is checked out;
//   - the Dockerfile's content (or the inline text);
//   - the build context and every local named context as BuildKit would
//     send them: the files left after .dockerignore, each by its path
//     relative to the context, mode, link target, extended attributes and
//     content. Modification times are left out, as BuildKit's own cache
//     keys leave them out. The walk and the ignore rules are fsutil's, the
//     walker BuildKit's file sync runs, fed by the adapter's one ignore
//     reader (internal/dockerignore);
//   - the fingerprint of every `target:` parent;
//   - every image the build reads from a registry (FROM after ARG
//     substitution, COPY --from, RUN --mount from=, docker-image://
//     contexts, a # syntax= frontend), by the digest the registry resolves
//     it to now, and every oci-layout:// context by its digest.
//
// A target that reads something orch cannot fingerprint (a git or HTTP
// context, an image that cannot be resolved) gets Unknown reasons and is
// never up to date.
//
// Secrets: a secret's value is never read. A secret's source file that
// lies inside a context (and is not ignored) enters the fingerprint by its
// metadata only (size, modification and change time, inode), so editing
// it still rebuilds, and it never enters the stat cache.
//
// Everything kept between runs lives under Dir ($XDG_CACHE_HOME/orch,
// default ~/.cache/orch) and is safe to delete: a missing, corrupt or
// foreign file is ignored and written again. Every file is written to a
// temporary name and renamed, so a reader never sees half of one.
//
//   - stat/: one stat cache per context directory, mapping each file's
//     path, size, modification time, inode and change time to its content
//     digest, so that a warm run reads only metadata. A file changed less
//     than a second before it was hashed is not cached: the file system's
//     clock is coarse, and a second write in the same tick would leave its
//     metadata unchanged.
//   - targets/: the Record of the last build of each target (its
//     fingerprint and components, the image digest and exporter
//     metadata), for explaining changes and for the metadata file of
//     targets that are up to date.
//   - contexts/: the file listing of every context state a record refers
//     to, by digest, for naming the context files that changed.
//
// The package knows nothing of BuildKit, registries or destinations:
// callers hand it what the adapter translated (Sources) and what
// registries resolved (Inputs).
package fingerprint
