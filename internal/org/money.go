package org

import (
	"fmt"
	"strings"
)

// Money formats minor units as people read them: "1,234.50 CNY". Rule
// messages, mails, pages and reports all show amounts this way.
func Money(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	whole := fmt.Sprint(amount / 100)
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return fmt.Sprintf("%s%s.%02d %s", sign, b.String(), amount%100, currency)
}
