// Package dest writes the results of a build where a target's outputs
// send them: local directories and files, OCI layouts, registries and the
// image stores of containerd and Podman. The builder (BuildKit, through
// the adapter) only ever writes into staging that dest chose: a directory
// or file beside each local destination, or a private OCI archive for a
// registry or an image store; dest then moves, merges, pushes or loads it
// once the target built (Commit), or removes it (Abort).
//
// What each destination keeps: a local directory keeps every file the
// build does not write (each written file is renamed into place, so it is
// either the old or the new one); a file is replaced by a rename; an OCI
// layout gains the target's images, other images stay; a registry tag
// moves only after the image is pushed by digest. Staging names carry
// orch's marker and the owner's pid and start time, and every run removes
// dead runs' staging beside the destinations it touches.
//
// The atomic publish of `orch build --atomic` is a wrapper (Atomic) around
// the destinations, not a mode of them.
//
// dest imports no BuildKit package: it knows files, OCI images, the
// registry API, containerd's client and Podman's REST API.
package dest
