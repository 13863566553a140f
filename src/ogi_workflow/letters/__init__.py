"""Reply letters and procedural notices: kinds, facts, templates, text, Word and PDF output."""
