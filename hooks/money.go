package hooks

// Money formats minor units as "1,234.50 CNY", as the rules' messages do:
// mails and pages show amounts the same way.
func Money(amount int64, currency string) string { return money(amount, currency) }
