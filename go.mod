module github.com/autoreplay/autoreplay

go 1.26
