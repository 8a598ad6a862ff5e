"""What staff keep about their libraries: service points (branches, book-bus and book-boat stops,
depots), opening hours, closed days and contacts. The facts that come from data (ISIL, codes, names,
municipality, county) live in `vocab.libraries`; these are the ones a librarian edits as seasons change,
and that circulation (due dates, pickup) and the portal (library pages) read."""
