// Package localca is the app's own certificate authority for the gateway.
//
// The gateway's bundled certificate is self-signed and expired in 2019, so
// programs that talk to it turn certificate checks off. With a local CA they
// need not: the CA (kept in the profile's state folder) signs a certificate
// for localhost, 127.0.0.1 and ::1, the gateway serves it from a Java
// keystore, and programs verify it with the CA file.
package localca
