package cli

// Commands is the list of subcommands `ibkr-tray -h` prints under the tray
// app's own flags (main's `help` prints its table of the same commands).
const Commands = `Commands (each takes -h):
  headless  supervise the gateway and keep the session, with no GUI (servers, systemd)
  status    print the running app's gateway and session status
  login     log in now (automated when credentials are stored, else in your browser)
  logout    end the session
  profiles  list the settings profiles; add, rename or remove one
  secrets   store, check or delete the IBKR username, password and TOTP secret
  sim       run the gateway simulator (demo mode, testing trading bots)
  help      list the commands`
