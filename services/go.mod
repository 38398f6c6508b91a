module github.com/xtsync/xtsync/services

go 1.26.8
