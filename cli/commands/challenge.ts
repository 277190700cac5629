import type { Command } from 'commander';
export function registerChallengeCommand(_program: Command): void {}
