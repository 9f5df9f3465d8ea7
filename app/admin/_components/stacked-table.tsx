import type { ComponentProps, ReactNode } from "react";

/*
 * A table from 640 px up; below that a list of cards, each row's cells as labelled lines (issue 19 §2: tables
 * become lists on phones, so nothing needs scrolling sideways to be read). Columns are named once, in `columns`;
 * each cell repeats its column's name as the label a phone shows.
 */

/** The table; `columns` head it (a column without a visible name, e.g. actions, is named for screen readers only). */
export function StackedTable({
  columns,
  className = "",
  testId,
  children,
}: {
  columns: readonly { name: string; visible?: boolean; className?: string }[];
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <table className={`block w-full text-left text-sm sm:table ${className}`} data-testid={testId}>
      <thead className="hidden text-slate-600 sm:table-header-group">
        <tr>
          {columns.map((c) => (
            <th key={c.name} scope="col" className={`px-3 py-2 font-medium ${c.className ?? ""}`}>
              {c.visible === false ? <span className="sr-only">{c.name}</span> : c.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody className="block divide-y divide-slate-100 sm:table-row-group">{children}</tbody>
    </table>
  );
}

/** A row: a card on a phone. */
export function StackedRow({ className = "", ...rest }: ComponentProps<"tr">) {
  return <tr className={`block py-2 sm:table-row sm:py-0 ${className}`} {...rest} />;
}

/** A cell: on a phone a line of its row's card, labelled with its column's name (unless `unlabelled`). */
export function StackedCell({ label, unlabelled, className = "", children, ...rest }: { label: string; unlabelled?: boolean } & ComponentProps<"td">) {
  return (
    <td className={`block px-3 py-0.5 sm:table-cell sm:py-2 ${className}`} {...rest}>
      {unlabelled ? null : <span className="font-medium text-slate-600 sm:hidden">{label}: </span>}
      {children}
    </td>
  );
}
