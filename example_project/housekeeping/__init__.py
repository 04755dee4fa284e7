"""Demo of forge_suite.scheduling: housekeeping jobs and their schedule."""
