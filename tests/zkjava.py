"""The classpath of Apache ZooKeeper from Debian's `zookeeper` package (its
jars and the libraries its manifest names, plus an slf4j binding), for the
test harnesses that run a real ZooKeeper as the reference."""

import glob
import os

JARS = ("zookeeper", "zookeeper-jute", "commons-cli", "commons-io",
        "findbugs-annotations", "jackson-annotations", "jackson-core",
        "jackson-databind", "jline", "metrics-core", "netty-buffer",
        "netty-codec", "netty-common", "netty-handler", "netty-resolver",
        "netty-transport", "netty-transport-native-epoll",
        "netty-transport-native-unix-common", "slf4j-api", "snappy-java",
        "jetty9-client", "jetty9-http", "jetty9-io", "jetty9-security",
        "jetty9-server", "jetty9-servlet", "jetty9-util", "slf4j-simple")


def zk_classpath(lib_dirs=True):
    """/usr/share/java jars; with lib_dirs also every jar under
    /usr/share/zookeeper and /usr/share/zookeeper/lib."""
    cp = [p for p in ("/usr/share/java/%s.jar" % j for j in JARS)
          if os.access(p, os.R_OK)]
    if lib_dirs:
        for d in ("/usr/share/zookeeper", "/usr/share/zookeeper/lib"):
            cp.extend(sorted(glob.glob(os.path.join(d, "*.jar"))))
    return ":".join(cp)
