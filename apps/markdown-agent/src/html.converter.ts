import TurndownService from 'turndown';

/** The few DOM members the table rules read (the project compiles without the DOM lib). */
interface DomNode {
  readonly nodeName: string;
  readonly parentNode: DomNode | null;
  readonly childNodes: ArrayLike<DomNode>;
}

function closestTable(node: DomNode): DomNode | null {
  for (let current = node.parentNode; current; current = current.parentNode) {
    if (current.nodeName === 'TABLE') return current;
  }
  return null;
}

function firstRow(node: DomNode): DomNode | null {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeName === 'TR') return child;
    const nested = child.nodeName === 'TABLE' ? null : firstRow(child);
    if (nested) return nested;
  }
  return null;
}

function cellCount(row: DomNode): number {
  return Array.from(row.childNodes).filter((c) => c.nodeName === 'TD' || c.nodeName === 'TH').length;
}

/**
 * Tables as GFM pipe tables (core turndown flattens them into loose paragraphs). The
 * first row is the header row, as GFM requires one; a cell's blocks join into one line.
 */
function pipeTables(service: TurndownService): void {
  service.addRule('tableCell', {
    filter: ['th', 'td'],
    replacement: (content) => ` ${content.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')} |`,
  });
  service.addRule('tableRow', {
    filter: 'tr',
    replacement: (content, node) => {
      const row = node as unknown as DomNode;
      const table = closestTable(row);
      const isHeader = table !== null && firstRow(table) === row;
      return `\n|${content}` + (isHeader ? `\n|${' --- |'.repeat(Math.max(cellCount(row), 1))}` : '');
    },
  });
  service.addRule('table', {
    filter: 'table',
    // thead/tbody are blocks to turndown: keep only the row lines.
    replacement: (content) => `\n\n${content.split('\n').filter((line) => line.startsWith('|')).join('\n')}\n\n`,
  });
}

function createTurndown(): TurndownService {
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '_', strongDelimiter: '**' });
  // What a reader never sees must not become text. turndown parses the page as a body
  // fragment, so `<head>` is gone but its `<title>` is not.
  service.remove(['script', 'style', 'noscript', 'template', 'head', 'title']);
  service.use(pipeTables);
  return service;
}

/** HTML markup as Markdown. Also the second half of the DOCX path. */
export function htmlToMarkdown(html: string): string {
  return createTurndown().turndown(html);
}

/** An HTML file as Markdown (read as UTF-8). */
export function convertHtml(input: Uint8Array): string {
  return `${htmlToMarkdown(new TextDecoder().decode(input))}\n`;
}
