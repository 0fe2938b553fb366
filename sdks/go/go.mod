module github.com/timothy-billingrails/cadreen-sdks/go

go 1.19
