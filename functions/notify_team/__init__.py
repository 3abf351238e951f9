"""notify-team: one SNS digest per batch of fraud alerts, each alert at most once."""
