package server

import (
	"net/http"

	"honnin/static"
)

func staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.Files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
