/** A real place in the navigation for a screen whose feature lands with its own issue. */
export function PlaceholderView({ title, text }: { title: string; text: string }) {
  return (
    <div className="view">
      <header className="view-head">
        <h1>{title}</h1>
      </header>
      <section className="panel">
        <p className="empty">{text}</p>
      </section>
    </div>
  );
}
