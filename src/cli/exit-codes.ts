/** The exit statuses live beside the error classes that carry them (src/util); the CLI's name for them. */
export { EXIT, type ExitCode } from '../util/exit-codes.js';
