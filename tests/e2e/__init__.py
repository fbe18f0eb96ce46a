"""End-to-end flows against ``planner serve`` run as a real process, on the real clock."""
