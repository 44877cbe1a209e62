// One TLS handshake with 127.0.0.1:PORT, trusting only the store that
// -Djavax.net.ssl.trustStore names, checking the host name as an
// HTTPS client does.  Prints "OK <protocol>" and exits 0, or "FAIL
// <exception>" and exits 1.  Run as source: java Handshake.java PORT
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

public class Handshake {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        SSLSocketFactory f = (SSLSocketFactory) SSLSocketFactory.getDefault();
        try (SSLSocket s = (SSLSocket) f.createSocket("127.0.0.1", port)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.setSoTimeout(10000);
            s.startHandshake();
            System.out.println("OK " + s.getSession().getProtocol());
        } catch (Exception e) {
            System.out.println("FAIL " + e);
            System.exit(1);
        }
    }
}
