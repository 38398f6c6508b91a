module github.com/xtsync/xtsync/cmd

go 1.26.8

replace (
	github.com/xtsync/xtsync/graphsim => ../graphsim
	github.com/xtsync/xtsync/pkg => ../pkg
	github.com/xtsync/xtsync/services => ../services
)

require github.com/xtsync/xtsync/graphsim v0.0.0-00010101000000-000000000000

require go.yaml.in/yaml/v3 v3.0.6 // indirect
