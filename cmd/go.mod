module github.com/xtsync/xtsync/cmd

go 1.26.8

replace (
	github.com/xtsync/xtsync/graphsim => ../graphsim
	github.com/xtsync/xtsync/pkg => ../pkg
	github.com/xtsync/xtsync/services => ../services
)

require (
	github.com/spf13/cobra v1.10.2
	github.com/stretchr/testify v1.12.1
	github.com/xtsync/xtsync/graphsim v0.0.0-00010101000000-000000000000
	github.com/xtsync/xtsync/pkg v0.0.0-00010101000000-000000000000
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/text v0.42.0 // indirect
)
