export default function Loading() {
  return (
    <div role="status" aria-live="polite" className="flex items-center gap-3 py-16 text-slate-600">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-sky-600 border-t-transparent" aria-hidden />
      Loading… large queries can take a few seconds.
    </div>
  );
}
