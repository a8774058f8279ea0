import type { Command } from 'commander';
import { initProject, openProject } from '../../services/catalog/project';
import { projectInfo } from '../../services/catalog/summary';
import { note, printResult } from '../output';
import { withErrors } from '../with-errors';

export function registerProjectCommands(program: Command): void {
  program
    .command('init')
    .description('create a project folder (catalog.sqlite, frames/, runs/, exports/); refuses a folder that already holds one')
    .argument('<dir>', 'project folder (created if missing)')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      const p = initProject(dir);
      const info = projectInfo(p);
      p.close();
      printResult(opts, { project: info.path, schemaVersion: info.schemaVersion, counts: info.counts }, () => `Created project ${info.path} (catalog schema ${info.schemaVersion}).`);
    }));

  program
    .command('info')
    .description('summarise a project: counts, words per level, frames by status')
    .argument('<project>', 'project folder')
    .option('--json', 'print one JSON document')
    .action(withErrors(async (dir: string, opts) => {
      const p = openProject(dir);
      if (p.backup) note(opts, `Migrated an older catalog; the previous version was copied to ${p.backup}`);
      const info = projectInfo(p);
      p.close();
      printResult(opts, info, () => {
        const lines = [
          `${info.name}  (${info.path}, catalog schema ${info.schemaVersion})`,
          `words ${info.counts.words} · signers ${info.counts.signers} · videos ${info.counts.videos} · frames ${info.counts.frames} (labelled ${info.counts.labelledFrames}) · boxes ${info.counts.boxes}`,
        ];
        if (info.levels) lines.push('levels: ' + Object.entries(info.levels).map(([l, n]) => `${l}: ${n} words`).join(', '));
        for (const w of info.words.slice(0, 50)) lines.push(`  ${w.text}${w.label ? ` (${w.label})` : ''}  level ${w.level ?? '-'}  videos ${w.videos}  frames ${w.frames}  boxes ${w.boxes}`);
        return lines.join('\n');
      });
    }));
}
