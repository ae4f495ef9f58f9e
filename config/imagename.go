package config

import (
	"fmt"

	"github.com/distribution/reference"
)

// NormalizeImageName returns an image name in the one form every
// comparison of image names uses: the full reference with its registry,
// repository and tag, as BuildKit and containerd write it. `app`,
// `app:latest` and `docker.io/library/app:latest` are one image. A name
// with a digest keeps it. It is the only place orch decides whether two
// image names are the same; the planner's conflict checks and the
// destinations (OCI layout entries, tags) both call it.
func NormalizeImageName(name string) (string, error) {
	r, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("image name %q: %w", name, err)
	}
	return reference.TagNameOnly(r).String(), nil
}
