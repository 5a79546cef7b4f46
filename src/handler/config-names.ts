// The config file names, shared by the loader (which reads them) and the locator (which hides them).
/** Names looked for in the served directory, in this order. Never served, never listed. */
export const CONFIG_FILE_NAMES = ['tiny-serve.json', 'serve.json'];
