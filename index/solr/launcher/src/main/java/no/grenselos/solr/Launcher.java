/*
 * Grenseløs Solr launcher — SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts Solr 9 for tests and development from Maven Central jars, on 127.0.0.1 only:
 *   standalone: one node (JettySolrRunner) with cores made from the project's configset;
 *   cloud:      a SolrCloud of N nodes with an embedded ZooKeeper (MiniSolrCloudCluster), the configset
 *               uploaded and a collection of S shards (router compositeId).
 * Prints one line "READY <json>" with the URLs when Solr answers, and stops cleanly on SIGTERM/SIGINT
 * or, with --stop-on-stdin-close, when its standard input closes (the parent process died).
 */
package no.grenselos.solr;

import java.io.IOException;
import java.io.InputStream;
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

import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public final class Launcher {
  private static final String CONFIG_NAME = "grenselos";
  // Uploaded from disk, hence "trusted": kept apart from the configset `grenselos solr init` uploads.
  private static final String CLOUD_CONFIG_NAME = "grenselos-launcher";

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
    if ("cloud".equals(mode)) {
      int nodes = Integer.parseInt(opt.getOrDefault("nodes", "2"));
      int shards = Integer.parseInt(opt.getOrDefault("shards", "2"));
      String collection = opt.getOrDefault("collection", "grenselos");
      Path base = work.resolve("cloud");
      deleteTree(base);
      MiniSolrCloudCluster cluster =
          new MiniSolrCloudCluster(nodes, base, MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML, jetty);
      running.add(cluster::shutdown);
      cluster.uploadConfigSet(configset.resolve("conf"), CLOUD_CONFIG_NAME);
      for (String name : collection.split(",")) {
        if (name.isBlank()) continue;
        CollectionAdminRequest.createCollection(name, CLOUD_CONFIG_NAME, shards, 1)
            .setRouterName("compositeId")
            .process(cluster.getSolrClient());
        cluster.waitForActiveCollection(name, 120, TimeUnit.SECONDS, shards, shards);
      }
      StringBuilder urls = new StringBuilder();
      for (JettySolrRunner node : cluster.getJettySolrRunners()) {
        if (urls.length() > 0) urls.append(',');
        urls.append('"').append(node.getBaseUrl()).append('"');
      }
      ready = "{\"mode\":\"cloud\",\"nodes\":[" + urls + "],\"zkHost\":\""
          + cluster.getZkServer().getZkAddress() + "\",\"collections\":\"" + collection
          + "\",\"configset\":\"" + CLOUD_CONFIG_NAME + "\",\"shards\":" + shards + "}";
    } else {
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
