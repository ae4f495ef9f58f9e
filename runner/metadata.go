package runner

import (
	"encoding/json"
	"io"
	"maps"
)

// Keys of a target's entry in the buildx metadata file. The adapter puts
// them in Result.Metadata from the exporter response; WriteMetadata adds
// MetadataDigest from Result.Digest when the response lacks it.
const (
	MetadataDigest     = "containerimage.digest"
	MetadataDescriptor = "containerimage.descriptor"
	MetadataImageName  = "image.name"
)

// WriteMetadata writes the buildx-compatible metadata file: a JSON object
// with one entry per target that was built or cached, holding its
// Result.Metadata (the decoded exporter response: containerimage.digest,
// containerimage.descriptor, image.name, ...). Tools written against
// `docker buildx bake --metadata-file` read it unchanged. Targets that did
// not succeed are left out, as buildx leaves them out.
func (r *Report) WriteMetadata(w io.Writer) error {
	doc := make(map[string]map[string]any)
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		if !o.Status.Succeeded() || o.Result == nil {
			continue
		}
		meta := maps.Clone(o.Result.Metadata)
		if meta == nil {
			meta = make(map[string]any)
		}
		if _, ok := meta[MetadataDigest]; !ok && o.Result.Digest != "" {
			meta[MetadataDigest] = o.Result.Digest
		}
		doc[o.Name] = meta
	}
	// encoding/json sorts map keys, which keeps the file deterministic.
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
