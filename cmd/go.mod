module github.com/xtsync/xtsync/cmd

go 1.26.8
