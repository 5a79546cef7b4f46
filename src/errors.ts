// The one error type for a mistake the user can fix (a flag, a config key, an option, a file, an
// address): its message is the whole line they read. The CLI prints it as it is, and config.ts puts
// the key it came from in front.
export class UserError extends Error {}
