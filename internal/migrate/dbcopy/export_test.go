package dbcopy

// SetUnitRows makes tests split small tables into key ranges too.
func SetUnitRows(n int64) { unitRows = n }
