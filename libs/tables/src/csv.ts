import { InputError } from '@datasmith/errors';
import { parse } from 'csv-parse/sync';

/** One CSV record and the line of the file it ends on (1-based), for error messages. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * Parses a small CSV file (RFC 4180 quoting, CRLF, a BOM, `#` comment lines, blank lines) into
 * trimmed cells; records may have fewer columns than the header. Malformed quoting is an
 * InputError naming the file and line.
 */
export function parseCsv(
  text: string,
  file: string,
  options: { relaxQuotes?: boolean; trim?: boolean } = {},
): CsvRecord[] {
  try {
    const records = parse(text, {
      // A quote inside an unquoted cell is text (hand-written files whose last column is free text).
      relax_quotes: options.relaxQuotes ?? false,
      bom: true,
      comment: '#',
      comment_no_infix: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: options.trim ?? true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map(({ record, info }) => ({ line: info.lines, cells: record }));
  } catch (error) {
    throw new InputError(`Invalid CSV ${file}: ${(error as Error).message}`, { file });
  }
}
