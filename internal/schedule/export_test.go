package schedule

// Current is current, for the tests of the read-ahead.
var Current = current
