package apply

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Decode reads a stream of YAML (or JSON) documents separated by "---" into
// objects, expanding v1 Lists. Empty documents are skipped. source names the
// stream in errors (a file name or "stdin").
func Decode(r io.Reader, source string) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s document %d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("parsing %s document %d: %w", source, doc, err)
		}
		if len(m) == 0 {
			continue // a document holding only comments
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("parsing %s document %d as a list: %w", source, doc, err)
			}
			for i := range list.Items {
				item := list.Items[i]
				if err := checkObject(&item); err != nil {
					return nil, fmt.Errorf("%s document %d item %d: %w", source, doc, i, err)
				}
				out = append(out, &item)
			}
			continue
		}
		if err := checkObject(u); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", source, doc, err)
		}
		out = append(out, u)
	}
}

// checkObject rejects documents the API server could not place.
func checkObject(u *unstructured.Unstructured) error {
	switch {
	case u.GetAPIVersion() == "":
		return fmt.Errorf("object %q has no apiVersion", u.GetName())
	case u.GetKind() == "":
		return fmt.Errorf("object %q has no kind", u.GetName())
	case u.GetName() == "" && u.GetGenerateName() == "":
		return fmt.Errorf("%s object has no metadata.name", u.GetKind())
	case u.GetName() == "":
		return fmt.Errorf("%s object uses generateName, which server-side apply cannot track; give it a name", u.GetKind())
	}
	return nil
}
