package config

// Test helpers of package config that its external tests use.
var (
	WriteSSHKey = writeSSHKey
	ListenAgent = listenAgent
)
