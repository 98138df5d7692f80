"""Rules that both the app and the board pack show to people: SPC (Making Data Count XmR),
which months are mature enough to judge, disclosure control, reporting targets, trust colours
and the measures' definitions. It reads nothing but the published database's names, and
`dashboards` and `exports` import it; it imports neither."""
