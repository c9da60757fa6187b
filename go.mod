module github.com/tinyscale/tinyscale

go 1.26
