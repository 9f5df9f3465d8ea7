/**
 * Any path no page answers (HTTP 404). TIM's own rather than Next's default,
 * which styles itself inline and so breaks the page CSP (no 'unsafe-inline').
 */
export default function NotFound() {
  return (
    <main id="main" className="mx-auto max-w-xl px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">404 · Page not found</h1>
      <p className="mt-3 text-slate-600">
        <a className="text-sky-700 underline" href="/">
          Home
        </a>
      </p>
    </main>
  );
}
