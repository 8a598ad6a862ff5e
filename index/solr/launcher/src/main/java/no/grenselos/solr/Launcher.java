/*
 * Grenseløs Solr launcher — SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts Solr 9 for tests and development from Maven Central jars, on 127.0.0.1 only, one process per
 * server so that a test can kill any one of them (SIGKILL) and start it again:
 *   standalone: one node (JettySolrRunner) with fresh cores made from the project's configset;
 *   zookeeper:  a standalone ZooKeeper on a fixed port, its data kept in --work;
 *   node:       one SolrCloud node joined to --zk on a fixed port, its solr home (cores, indexes, update
 *               logs) kept in --work, so a restart on the same port and folder rejoins the cluster as the
 *               same node. Collections are made by the caller (Collections API, `grenselos solr init`).
 * Prints one line "READY <json>" with the URLs when Solr answers, and stops cleanly on SIGTERM/SIGINT
 * or, with --stop-on-stdin-close, when its standard input closes (the parent process died).
 */
package no.grenselos.solr;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.zookeeper.server.ServerConfig;
import org.apache.zookeeper.server.ZooKeeperServerMain;

public final class Launcher {
  private static final String CONFIG_NAME = "grenselos";

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = parse(args);
    String mode = opt.getOrDefault("mode", "standalone");
    Path work = Paths.get(opt.getOrDefault("work", "/tmp/grenselos-solr")).toAbsolutePath();
    Path configset = Paths.get(opt.getOrDefault("configset", "index/solr/configset")).toAbsolutePath();
    int port = Integer.parseInt(opt.getOrDefault("port", "0"));
    Files.createDirectories(work.resolve("logs"));
    System.setProperty("solr.install.dir", work.toString());
    System.setProperty("solr.log.dir", work.resolve("logs").toString());
    System.setProperty("jetty.testMode", "true");
    System.setProperty("solr.disable.allowUrls", "true");
    System.setProperty("host", "127.0.0.1");

    CountDownLatch stop = new CountDownLatch(1);
    List<AutoCloseable> running = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      closeAll(running);
      stop.countDown();
    }, "grenselos-solr-shutdown"));

    JettyConfig jetty = JettyConfig.builder().setPort(port).setContext("/solr").stopAtShutdown(true).build();
    String ready;
    if ("zookeeper".equals(mode)) {
      ready = startZooKeeper(work, port, running);
    } else if ("node".equals(mode)) {
      ready = startCloudNode(work, port, opt.get("zk"), jetty, running);
    } else if ("standalone".equals(mode)) {
      Path home = work.resolve("standalone");
      deleteTree(home);
      Files.createDirectories(home);
      Files.writeString(home.resolve("solr.xml"), "<solr/>\n", StandardCharsets.UTF_8);
      copyTree(configset, home.resolve("configsets").resolve(CONFIG_NAME));
      for (String core : opt.getOrDefault("cores", "grenselos").split(",")) {
        if (core.isBlank()) continue;
        Path dir = Files.createDirectories(home.resolve(core));
        Files.writeString(dir.resolve("core.properties"),
            "name=" + core + "\nconfigSet=" + CONFIG_NAME + "\n", StandardCharsets.UTF_8);
      }
      JettySolrRunner node = new JettySolrRunner(home.toString(), jetty);
      node.start();
      running.add(node::stop);
      ready = "{\"mode\":\"standalone\",\"url\":\"" + node.getBaseUrl() + "\",\"home\":\"" + home + "\"}";
    } else {
      throw new IllegalArgumentException("unknown mode " + mode + " (standalone, zookeeper or node)");
    }
    System.out.println("READY " + ready);
    System.out.flush();

    if (opt.containsKey("stop-on-stdin-close")) {
      Thread watcher = new Thread(() -> {
        try {
          InputStream in = System.in;
          while (in.read() != -1) {
            // wait for end of input
          }
        } catch (IOException ignored) {
          // a broken pipe means the same as end of input
        }
        System.exit(0);
      }, "grenselos-stdin-watch");
      watcher.setDaemon(true);
      watcher.start();
    }
    stop.await();
  }

  /**
   * A standalone ZooKeeper on 127.0.0.1:port keeping its data in work/: restarted on the same port and
   * folder it holds the same cluster state, so the nodes that registered with it rejoin.
   */
  private static String startZooKeeper(Path work, int port, List<AutoCloseable> running) throws Exception {
    if (port <= 0) throw new IllegalArgumentException("zookeeper needs a fixed --port");
    Path data = Files.createDirectories(work.resolve("data"));
    Path cfg = work.resolve("zoo.cfg");
    Files.writeString(cfg, "tickTime=1000\ninitLimit=10\nsyncLimit=5\nmaxSessionTimeout=60000\n"
        + "dataDir=" + data + "\nclientPort=" + port + "\nclientPortAddress=127.0.0.1\n"
        + "admin.enableServer=false\n4lw.commands.whitelist=ruok,mntr,srvr\n"
        + "autopurge.snapRetainCount=3\nautopurge.purgeInterval=1\n", StandardCharsets.UTF_8);
    ServerConfig config = new ServerConfig();
    config.parse(cfg.toString());
    ZooKeeperServerMain zk = new ZooKeeperServerMain();
    Thread server = new Thread(() -> {
      try {
        zk.runFromConfig(config);
      } catch (Exception e) {
        System.err.println("grenselos-solr: ZooKeeper stopped: " + e);
        System.exit(1);
      }
    }, "grenselos-zookeeper");
    server.start();
    running.add(zk::close);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) throw new IOException("ZooKeeper did not listen on " + port);
        Thread.sleep(100);
      }
    }
    return "{\"mode\":\"zookeeper\",\"zkHost\":\"127.0.0.1:" + port + "\",\"data\":\"" + data + "\"}";
  }

  /**
   * One SolrCloud node (its own process) joined to the ZooKeeper at zkHost, on a fixed port, with its solr
   * home (cores and their indexes) kept in work/: a node killed and started again on the same port and
   * folder comes back under the same node name, and its replicas recover from their transaction logs.
   */
  private static String startCloudNode(Path work, int port, String zkHost, JettyConfig jetty,
                                       List<AutoCloseable> running) throws Exception {
    if (port <= 0) throw new IllegalArgumentException("node needs a fixed --port");
    if (zkHost == null || zkHost.isBlank()) throw new IllegalArgumentException("node needs --zk host:port");
    Path home = Files.createDirectories(work.resolve("home"));
    // A short ZooKeeper session: a killed node leaves live_nodes within seconds, not half a minute.
    Files.writeString(home.resolve("solr.xml"), "<solr>\n"
        + "  <solrcloud>\n"
        + "    <str name=\"host\">127.0.0.1</str>\n"
        + "    <int name=\"hostPort\">" + port + "</int>\n"
        + "    <str name=\"hostContext\">solr</str>\n"
        + "    <str name=\"zkHost\">" + zkHost + "</str>\n"
        + "    <int name=\"zkClientTimeout\">8000</int>\n"
        + "    <bool name=\"genericCoreNodeNames\">true</bool>\n"
        + "    <int name=\"leaderVoteWait\">5000</int>\n"
        + "    <int name=\"distribUpdateConnTimeout\">5000</int>\n"
        + "    <int name=\"distribUpdateSoTimeout\">60000</int>\n"
        + "  </solrcloud>\n"
        + "  <shardHandlerFactory name=\"shardHandlerFactory\" class=\"HttpShardHandlerFactory\">\n"
        + "    <int name=\"socketTimeout\">60000</int>\n"
        + "    <int name=\"connTimeout\">5000</int>\n"
        + "  </shardHandlerFactory>\n"
        + "</solr>\n", StandardCharsets.UTF_8);
    System.setProperty("zkHost", zkHost);
    System.setProperty("solr.configset.upload.enabled", "true");
    JettySolrRunner node = new JettySolrRunner(home.toString(), jetty);
    node.start();
    running.add(node::stop);
    return "{\"mode\":\"node\",\"url\":\"" + node.getBaseUrl() + "\",\"zkHost\":\"" + zkHost
        + "\",\"home\":\"" + home + "\"}";
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        opt.put("mode", a);
      } else if (a.equals("--stop-on-stdin-close")) {
        opt.put("stop-on-stdin-close", "true");
      } else if (i + 1 < args.length) {
        opt.put(a.substring(2), args[++i]);
      } else {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
    }
    return opt;
  }

  private static void closeAll(List<AutoCloseable> running) {
    for (AutoCloseable c : running) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("grenselos-solr: error while stopping: " + e);
      }
    }
    running.clear();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }
}
