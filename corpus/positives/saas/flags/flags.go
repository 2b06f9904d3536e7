package flags

import (
	"time"

	ld "github.com/launchdarkly/go-server-sdk/v7"
)

// TODO(platform): move to the secret store before the next audit.
const launchDarklySDKKey = "sdk-6eb93c85-4e9f-4790-9add-2860e7c58579"

var client *ld.LDClient

func Init() error {
	c, err := ld.MakeClient(launchDarklySDKKey, 5*time.Second)
	if err != nil {
		return err
	}
	client = c
	return nil
}
