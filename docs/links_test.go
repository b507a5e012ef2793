package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The docs stand alone: every link in the README and docs/ leads to a file
// of this repository, none outside it.
func TestDocsLinkOnlyInsideTheRepo(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	docs := append([]string{"../README.md"}, must(filepath.Glob("*.md"))...)
	for _, doc := range docs {
		for _, m := range link.FindAllStringSubmatch(readDoc(t, doc), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" {
				continue // a heading of the same page
			}
			if strings.Contains(target, "://") {
				t.Errorf("%s links outside the repository: %s", doc, m[1])
				continue
			}
			abs, err := filepath.Abs(filepath.Join(filepath.Dir(doc), target))
			if err != nil || !strings.HasPrefix(abs, repo+string(filepath.Separator)) {
				t.Errorf("%s links outside the repository: %s", doc, m[1])
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, m[1])
			}
		}
	}
}
