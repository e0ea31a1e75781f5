package sim

import (
	"embed"
	"html"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed page
var pageFiles embed.FS

var loginTemplate = template.Must(template.ParseFS(pageFiles, "page/login.html"))

// renderDelayMs is how long after load the page's JavaScript inserts the
// form (real time), so automation has to wait for it as with IBKR's page.
const renderDelayMs = 400

// loginRoutes are the /sso pages the browser login uses.
func (s *Server) loginRoutes() http.Handler {
	static, _ := fs.Sub(pageFiles, "page")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sso/Login", s.handleLoginPage)
	mux.HandleFunc("POST /sso/Authenticator", s.handleAuthenticator)
	mux.HandleFunc("POST /sso/Dispatcher", s.handleDispatcher)
	mux.HandleFunc("GET /sso/Dispatcher", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sso/Login?forwardTo=22&RL=1&ip2loc="+s.o.IP2Loc, http.StatusFound)
	})
	mux.Handle("GET /sso/static/", http.StripPrefix("/sso/static/", http.FileServerFS(static)))
	return mux
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := loginTemplate.Execute(w, struct {
		Version       string
		RenderDelayMs int
		IBKeySent     string
	}{s.o.PageVersion, renderDelayMs, TextIBKeySent})
	if err != nil {
		s.o.Logger.Error("the login page could not be rendered", "err", err)
	}
}

func (s *Server) handleDemo(w http.ResponseWriter, r *http.Request) {
	b, _ := pageFiles.ReadFile("page/demo.html")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

// resultPage is the small page after the Dispatcher post.
func resultPage(title, bodyHTML string) string {
	return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head>\n<body style=\"font-family:Arial,sans-serif;margin:80px auto;width:480px\"><h2>" + bodyHTML + "</h2></body></html>\n"
}
