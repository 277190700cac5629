/**
 * Escaping of text that devices wrote (city names, device ids) before it goes
 * where people read it with markup. Slack's mrkdwn gives `<`, `>` and `&`
 * meaning (`<!channel>`, `<http://x|click>`); escaping those three as HTML
 * entities is what Slack documents. (The dashboard puts such text into the
 * page as DOM text, never as HTML: see dashboard/public/app.js `el`.)
 */
const MRKDWN: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Text for a Slack mrkdwn field: no mentions, links or entities of the writer's making. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => MRKDWN[c] ?? c);
}
