/** A mistake in how the command was called: exit code 2 and a pointer to --help. */
export class UsageError extends Error {}

/** The command was understood but could not be done (name taken, weak password…): exit code 1. */
export class CommandFailed extends Error {}
