module github.com/openports/openports/bench/gopsutil-conns

go 1.26.8

require github.com/shirou/gopsutil/v4 v4.26.10
