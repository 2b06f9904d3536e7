package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/slack-go/slack"
)

const (
	slackBotToken = "xoxb-136393689933-7528432854588-Lh6peZEJITEKQfjjBOZeAkF1"
	alertChannel  = "C0M6IO1SJ3D"
	repoOwner     = "larkspur"
	repoName      = "platform"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	gh := github.NewClient(nil).WithAuthToken("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")
	opts := &github.ListWorkflowRunsOptions{Status: "failure"}
	runs, _, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, repoOwner, repoName, opts)
	if err != nil {
		log.Fatalf("list runs: %v", err)
	}
	if runs.GetTotalCount() == 0 {
		return
	}

	api := slack.New(slackBotToken)
	msg := fmt.Sprintf(":red_circle: %d failed workflow runs in %s/%s", runs.GetTotalCount(), repoOwner, repoName)
	if _, _, err := api.PostMessageContext(ctx, alertChannel, slack.MsgOptionText(msg, false)); err != nil {
		fmt.Fprintln(os.Stderr, "slack:", err)
		os.Exit(1)
	}
}
