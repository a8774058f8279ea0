/** The `?` overlay: every keyboard shortcut of the editor, from the machine's own table. */
import { SHORTCUTS } from './editor-machine';

export function ShortcutHelp({ onClose }: { onClose(): void }) {
  return (
    <div className="shortcut-help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts" data-testid="shortcut-help">
      <div className="shortcut-help-card">
        <div className="row space">
          <h2>Keyboard shortcuts</h2>
          <button type="button" onClick={onClose} aria-label="Close the shortcut list">
            Close (?)
          </button>
        </div>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys} data-testid="shortcut">
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted">Ctrl is ⌘ on macOS. Every edit is saved as you make it; undo history is kept per frame.</p>
      </div>
    </div>
  );
}
