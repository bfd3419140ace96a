// Placeholder until the `symbols` subcommand lands (owned by the map-generation work).
import type { Command } from 'commander';

export function addSymbolsCommand(program: Command): void {
  void program;
}
