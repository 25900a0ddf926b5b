"""RQ jobs, the reconciler and the scheduler (issue 4)."""
