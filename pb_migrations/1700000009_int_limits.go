package migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// maxInt is the largest whole number a number field keeps exactly (2^53-1):
// PocketBase reads and writes numbers as float64, so 2^53+1 would be stored
// as 2^53 without a word. Every whole-number field of Rapport's collections
// gets it as its Max (and its negative as its Min, where none is set): the
// check then holds for every write, server writes included, and the
// dashboard shows it. Client writes meet the same limit earlier, with a
// message naming the value (internal/input). The constant is this
// migration's own: what it wrote must not move with later code.
const maxInt = 1<<53 - 1

// intLimitCollections are the collections whose whole-number fields are bounded.
var intLimitCollections = append([]string{"users"}, collections...)

func init() {
	m.Register(func(app core.App) error {
		return eachIntField(app, func(f *core.NumberField) {
			if f.Max == nil {
				f.Max = types.Pointer(float64(maxInt))
			}
			if f.Min == nil {
				f.Min = types.Pointer(float64(-maxInt))
			}
		})
	}, func(app core.App) error {
		return eachIntField(app, func(f *core.NumberField) {
			if f.Max != nil && *f.Max == maxInt {
				f.Max = nil
			}
			if f.Min != nil && *f.Min == -maxInt {
				f.Min = nil
			}
		})
	})
}

// eachIntField applies set to every whole-number field of
// intLimitCollections and saves the collections.
func eachIntField(app core.App, set func(*core.NumberField)) error {
	for _, name := range intLimitCollections {
		c, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, f := range c.Fields {
			if n, ok := f.(*core.NumberField); ok && n.OnlyInt {
				set(n)
			}
		}
		if err := app.Save(c); err != nil {
			return err
		}
	}
	return nil
}
